/**
 * Replaces zod's locales index in the Worker and page bundles (the `alias` in
 * functions/worker/wrangler.jsonc, a plugin in functions/browser/build.ts): zod re-exports its 63
 * error-message locales as `z.locales`, which netlens never uses — errors are in English, whose locale
 * zod imports on its own. Without this the Worker script carries ~760 KiB of unused messages.
 */
export {};
