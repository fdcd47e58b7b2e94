/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The core's base URL; default: the page's origin (the core serves the app), or http://localhost:8080 under `vite dev`. */
  readonly VITE_CORE_URL?: string;
  /** The edge used when neither RegionService/PickEdge nor /config.json names one; default http://localhost:8090. */
  readonly VITE_EDGE_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
