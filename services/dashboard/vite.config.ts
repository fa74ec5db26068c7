/**
 * The dashboard build: static files in dist/, served by the gateway at `/` (its static-files.ts).
 * `npm run dev` serves the page with hot reload and proxies /ws to a gateway on :8080
 * (`npm start` at the repository root), or to DASHBOARD_GATEWAY.
 */
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const gateway = process.env['DASHBOARD_GATEWAY'] ?? 'http://127.0.0.1:8080';

export default defineConfig({
  // relative asset URLs: the page also works behind a path prefix (an Ingress sub-path)
  base: './',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // one small app: a single JS chunk and a single CSS file
    cssCodeSplit: false,
  },
  server: {
    proxy: { '/ws': { target: gateway, ws: true } },
  },
});
