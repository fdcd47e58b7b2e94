import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Browser tests: playwright-core drives Debian's Chromium (/usr/bin/chromium) against a
// real core and edge that e2e/global-setup.ts builds nothing for (make test-web builds
// them first) but starts on free ports against a fresh database.
export default defineConfig({
  resolve: {
    alias: { "@gen": fileURLToPath(new URL("../protocol/gen/ts", import.meta.url)) },
    dedupe: ["@bufbuild/protobuf"],
  },
  test: {
    environment: "node",
    include: ["e2e/**/*.e2e.test.ts"],
    globalSetup: ["e2e/global-setup.ts"],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    sequence: { concurrent: false },
    reporters: ["default"],
  },
});
