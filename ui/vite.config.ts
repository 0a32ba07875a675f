/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run dev` serves the UI with hot reload and forwards the API to a running
// `torro serve` (TORRO_API, default http://127.0.0.1:8080).
const api = process.env.TORRO_API ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      "/api": api,
      "/health": api,
    },
  },
  build: {
    // Hashed file names under static/ are what lets the server cache them for a year.
    // (Not assets/: /assets/{id} is a page of the UI.)
    assetsDir: "static",
    chunkSizeWarningLimit: 1024,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    // The machine is shared with cargo builds: a page test can take seconds to render.
    testTimeout: 20_000,
  },
});
