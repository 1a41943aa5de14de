import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT, describeError, exitCodeFor } from './exit-codes.js';

const DEFAULT_MODEL_HELP = 'model name (default: $NETLENS_MODEL or nsfw-mobilenet-v2)';

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`${name} must be a positive integer, got '${value}'`);
    return n;
  };
}

/** The flags every command that uses a model shares, with the same names and meaning everywhere. */
function modelOptions(command: Command, engine = true): Command {
  command
    .option('-m, --model <name>', DEFAULT_MODEL_HELP)
    .option('--models-dir <dir>', 'models directory (default: $NETLENS_MODELS_DIR or models/onnx)');
  if (!engine) return command;
  return command
    .option(
      '--providers <list>',
      'execution providers in order, e.g. cuda,webgpu,cpu (default: $NETLENS_PROVIDERS or cpu)',
    )
    .option('--require-gpu', 'fail unless a GPU execution provider runs the model')
    .option(
      '--threads <n>',
      'intra-op threads (default: $NETLENS_THREADS, else all cores)',
      positiveInt('--threads'),
    );
}

/** `serve` and `start`: the model flags plus where to listen. */
function serveOptions(command: Command): Command {
  return modelOptions(command)
    .option('-p, --port <port>', 'port to listen on (default: $PORT or 8080; 0 = any free port)', port)
    .option('--host <host>', 'interface to listen on (default: $HOST or 127.0.0.1)');
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('a port number from 0 to 65535');
  return n;
}

/**
 * A command implemented in another module, loaded only when used (so `netlens classify` never loads the
 * converter). Every argument after the command name is handed to that module's Command.
 */
function delegated(name: string, description: string, load: () => Promise<Command>): Command {
  return new Command(name)
    .description(description)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (_args: string[], _options: unknown, command: Command) => {
      const real = await load();
      real.name(`netlens ${name}`);
      real.exitOverride();
      await real.parseAsync(command.args, { from: 'user' });
    });
}

const loadConvert = async (): Promise<Command> => (await import('../convert/cli.js')).createConvertCommand();
const loadQuantize = async (): Promise<Command> =>
  (await import('../quantize/cli.js')).createQuantizeCommand();
const loadJobs = async (): Promise<Command> => (await import('./jobs.js')).createJobsCommand();
const loadTrain = async (): Promise<Command> => (await import('../train/command.js')).createTrainCommand();

export function createProgram(): Command {
  const program = new Command('netlens')
    .description(
      'Keras image classifiers converted to ONNX: classify images, serve them over HTTP, convert models.',
    )
    .version('0.1.0')
    .showHelpAfterError('(netlens --help, or netlens <command> --help, for usage)')
    .addHelpText(
      'after',
      `
Exit status: 0 ok, 1 some inputs failed (others still processed), 2 usage, 3 model unknown/invalid,
4 no execution provider could run the model, 70 internal error.`,
    );

  modelOptions(
    program
      .command('classify')
      .description('classify images (files or directories) and print Keras\' top-k: "1. beagle: 94.48%"')
      .argument('<images...>', 'image files or directories (formats sniffed from the bytes)'),
  )
    .option(
      '-t, --top <k>',
      'classes to print per image (default: 5, or the class count if fewer)',
      positiveInt('--top'),
    )
    .option('--json', 'print one JSON document instead of text')
    .option(
      '--annotate <out>',
      'write the image with its top label drawn on it (a directory when classifying several)',
    )
    .addOption(
      new Option('--batch-size <n>', 'images per inference batch')
        .default(8)
        .argParser(positiveInt('--batch-size')),
    )
    .option(
      '--max-pixels <n>',
      'refuse images with more pixels than this (default 100000000)',
      positiveInt('--max-pixels'),
    )
    .option('--no-progress', 'no progress bar (default: shown for batches when stderr is a terminal)')
    .option('--progress', 'always show the progress bar for batches')
    .action(async (images: string[], options: Record<string, unknown>) => {
      const { runClassify } = await import('./classify.js');
      process.exitCode = await runClassify(images, {
        ...options,
        top: options.top as number | undefined,
        batchSize: options.batchSize as number,
        progress: options.progress as boolean | undefined,
      });
    });

  modelOptions(
    program
      .command('models')
      .description(
        'list installed models (name, architecture, input, classes, providers) and how to build missing ones',
      ),
    false,
  )
    .option('--json', 'print JSON')
    .action(async (options: { model?: string; modelsDir?: string; json?: boolean }) => {
      const { runModels } = await import('./models.js');
      process.exitCode = await runModels(options);
    });

  modelOptions(
    program
      .command('bench')
      .description('time decode, preprocess and inference separately and end to end (images/s per stage)'),
  )
    .option('--images <dir>', 'photos to use (default: ../shared/data/images)')
    .option('--batch <sizes>', 'comma-separated batch sizes', '1,8')
    .option('--seconds <s>', 'minimum seconds per measurement', '2')
    .action(async (options: Record<string, unknown>) => {
      const { runBenchCommand } = await import('./bench.js');
      process.exitCode = await runBenchCommand(options);
    });

  serveOptions(
    program
      .command('serve')
      .description('serve the HTTP API and demo page (NETLENS_* variables: docs/settings.md)'),
  ).action(async (options: Record<string, unknown>) => {
    const { runServe } = await import('./serve.js');
    await runServe(options);
  });
  serveOptions(
    program
      .command('start')
      .description(
        'build the built-in models if the default one is missing, then serve (what npm start runs)',
      ),
  ).action(async (options: Record<string, unknown>) => {
    const { runServe } = await import('./serve.js');
    await runServe(options, true);
  });
  program.addCommand(
    delegated('convert', 'convert a Keras model to ONNX + manifest (netlens convert --help)', loadConvert),
  );
  program.addCommand(
    delegated('quantize', 'write an int8 or fp16 variant of a model (netlens quantize --help)', loadQuantize),
  );
  program.addCommand(
    delegated('jobs', 'webhook jobs in the store: jobs list|show|retry (netlens jobs --help)', loadJobs),
  );
  program.addCommand(
    delegated('train', "train your own labels on a model's features (netlens train --help)", loadTrain),
  );
  return program;
}

/** Runs the CLI; returns the exit status (also set on process.exitCode). */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const program = createProgram();
  program.exitOverride();
  for (const command of program.commands) command.exitOverride();
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 1 ? EXIT.usage : error.exitCode;
    } else {
      process.stderr.write(`netlens: error: ${describeError(error)}\n`);
      process.exitCode = exitCodeFor(error);
    }
  }
  return Number(process.exitCode ?? 0);
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) await main();
