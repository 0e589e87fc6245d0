// The e2e scripts' server is the demo's: scripts/serve.mjs (MIME types, COOP/COEP, ETag + 304).
export { serve } from '../../scripts/serve.mjs';
