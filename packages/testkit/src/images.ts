// Importable without vitest's runner (docker-compose checks, the CLI): no fixtures here.
export { IMAGES } from './containers.js';
export { repoRoot } from './engines.js';
