/**
 * The logging contract the app needs: pino's call shape (`logger.info(fields, message)`) so the Node
 * entry can pass a pino logger, while the app itself stays runtime-free. `consoleLogger` writes the same
 * JSON lines through `console` for runtimes without pino (Workers, tests).
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message?: string): void;
  info(fields: Record<string, unknown>, message?: string): void;
  warn(fields: Record<string, unknown>, message?: string): void;
  error(fields: Record<string, unknown>, message?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;
export type LogLevel = keyof typeof LEVELS | 'silent';

/** JSON lines in pino's format (`level` as a number, `time` in ms, `msg`) written with console.log. */
export function consoleLogger(level: LogLevel = 'info', bindings: Record<string, unknown> = {}): Logger {
  const threshold = level === 'silent' ? Infinity : LEVELS[level];
  const write =
    (name: keyof typeof LEVELS) =>
    (fields: Record<string, unknown>, message?: string): void => {
      if (LEVELS[name] < threshold) return;
      const line = { level: LEVELS[name], time: Date.now(), ...bindings, ...serialise(fields), msg: message };
      console.log(JSON.stringify(line));
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => consoleLogger(level, { ...bindings, ...more }),
  };
}

/** Errors become `{type, message, stack}` as pino's err serialiser writes them. */
function serialise(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] =
      value instanceof Error ? { type: value.name, message: value.message, stack: value.stack } : value;
  }
  return out;
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = consoleLogger('silent');
