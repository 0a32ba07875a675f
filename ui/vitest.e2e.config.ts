import { defineConfig } from "vitest/config";

// End-to-end tests: the real `torro serve --demo` binary and Debian's Chromium.
export default defineConfig({
  test: {
    environment: "node",
    include: ["e2e/**/*.e2e.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
