import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console's single-page app. The server (src/web-build.ts) builds it into web/dist when that is
// missing or stale; `pnpm --filter @keywatch/console exec vite web` serves it for UI work.
export default defineConfig({
  plugins: [react()],
  build: {
    // The strict CSP forbids inline scripts: never inline the module-preload polyfill or small assets as data: scripts.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
  },
});
