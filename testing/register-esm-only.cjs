// `node --require testing/register-esm-only.cjs`: lets a tsx host load execa (see esm-only.cjs).
require('./esm-only.cjs').register();
