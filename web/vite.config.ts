import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

const here = fileURLToPath(new URL(".", import.meta.url));
const backend = process.env.VETRINA_API ?? "http://localhost:8080";

export default defineConfig({
  root: here,
  plugins: [preact()],
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
  },
  server: {
    // The web app imports the shared contracts from ../src/shared.
    fs: { allow: [fileURLToPath(new URL("..", import.meta.url))] },
    proxy: {
      "/api": { target: backend, changeOrigin: true, ws: true },
      "/hls": { target: backend, changeOrigin: true },
      "/uploads": { target: backend, changeOrigin: true },
      // the partner-store click redirect (records the click, then sends the buyer to the store)
      "/go/": { target: backend, changeOrigin: true },
    },
  },
});
