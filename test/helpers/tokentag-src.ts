// `tokentag` from the TypeScript sources, for tests that need it as a process of its own
// (bin/tokentag.js runs the build in dist/, which may be older than the sources):
//   node --import tsx test/helpers/tokentag-src.ts <command> …
import { main } from '../../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
