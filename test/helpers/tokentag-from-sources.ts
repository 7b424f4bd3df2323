// `tokentag` run from this checkout's TypeScript sources (through tsx), for tests that spawn the
// CLI as a command (test/docs.test.ts); the installed command runs the build in dist/.
import { main } from '../../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
