import type { ReportFile } from '../../api/types';
import { bytesOfBase64 } from './reportWords';

/**
 * Saves a file the core made (a report's PDF or CSV) the way the browser saves a download:
 * a Blob, an object URL and a link with `download`. The Tauri window saves it the same way.
 */
export function saveFile(file: ReportFile): void {
  const url = URL.createObjectURL(
    new Blob([bytesOfBase64(file.content_base64)], { type: file.media_type }),
  );
  const link = document.createElement('a');
  link.href = url;
  link.download = file.file_name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // The download has started by then; the URL is not needed after.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
