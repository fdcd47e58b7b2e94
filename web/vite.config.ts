/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The generated TypeScript lives in ../protocol/gen/ts and is imported through the
// "@gen" alias, never copied. Its imports of @bufbuild/protobuf resolve to this
// package's copy (dedupe), so one runtime serves the app and the generated code.
const gen = fileURLToPath(new URL("../protocol/gen/ts", import.meta.url));

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: { "@gen": gen },
    dedupe: ["@bufbuild/protobuf"],
  },
  server: {
    port: 5173,
    strictPort: true,
    fs: { allow: [".", gen] },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
  },
});
