// Prints what dist/ was built from: the count and newest mtime of the files under src/ (and
// the build config). Shared by scripts/build.sh (writes dist/.stamp) and bin/caisson.js (runs
// dist/ only while it matches); stat-only, ~2 ms for the whole tree.
import { sourceStamp } from './source-stamp-lib.mjs';

console.log(sourceStamp(new URL('..', import.meta.url).pathname));
