import type { FeedbackTone } from './ScanContext';

let audio: AudioContext | null = null;

/**
 * A short high beep for an accepted scan, two low ones for a refused or unknown code, a high
 * then a low one for a tube taken with a warning, so a technician looking at the tube, not the
 * screen, knows. Silent where audio is unavailable.
 */
export function playTone(tone: FeedbackTone): void {
  try {
    audio ??= new AudioContext();
    const ctx = audio;
    const beeps =
      tone === 'accepted'
        ? [{ f: 1320, at: 0 }]
        : tone === 'warning'
          ? [
              { f: 1320, at: 0 },
              { f: 330, at: 0.18 },
            ]
          : [
              { f: 330, at: 0 },
              { f: 330, at: 0.18 },
            ];
    for (const { f, at } of beeps) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = f;
      gain.gain.value = 0.08;
      osc.connect(gain).connect(ctx.destination);
      osc.start(ctx.currentTime + at);
      osc.stop(ctx.currentTime + at + 0.12);
    }
  } catch {
    // No audio device: the visual feedback stands alone.
  }
}
