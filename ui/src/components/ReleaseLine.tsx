import type { Release } from '../api/types';

/** Which Aliquot this is (version and build), for support calls; `--version` prints the same. */
export function ReleaseLine({ release }: { release: Release | null }) {
  if (release === null) return null;
  return (
    <p className="release-line" data-testid="release-line">
      Aliquot {release.version} · {release.build}
    </p>
  );
}
