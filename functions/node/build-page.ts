/** `npm run build:page`: bundles the demo page into public/build. */
import { PAGE_OUT, buildPage } from './page.js';

const files = await buildPage(PAGE_OUT, { minify: !process.argv.includes('--dev') });
console.log(`demo page built in ${PAGE_OUT}: ${files.join(', ')}`);
