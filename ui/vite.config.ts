import { defineConfig, loadEnv } from 'vite';

// The UI is served two ways: from Tauri's asset protocol, and by `aliquot serve --ui-dir dist`.
// A relative base works for both. During `npm run dev`, set ALIQUOT_DEV_API to the URL of a
// running `aliquot serve` (e.g. http://127.0.0.1:8787) to proxy /api to it.
export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, '.', 'ALIQUOT_');
  const api = env['ALIQUOT_DEV_API'];
  return {
    base: './',
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: false,
    },
    server: {
      host: '127.0.0.1',
      strictPort: false,
      proxy: api ? { '/api': { target: api, changeOrigin: true } } : undefined,
    },
  };
});
