/** Standalone `netlens convert` (tsx scripts/convert/convert.ts <file> …), for use before the CLI registers it. */
import { isNetlensError, messageOf } from '../../src/core/errors.js';
import { createConvertCommand } from '../../src/convert/cli.js';

try {
  await createConvertCommand().parseAsync(process.argv);
} catch (error) {
  process.stderr.write(
    `netlens convert: ${isNetlensError(error) ? `[${error.code}] ` : ''}${messageOf(error)}\n`,
  );
  process.exitCode = isNetlensError(error) && error.status < 500 ? 2 : 1;
}
