import { NetlensError } from '../core/errors.js';
import ipaddr from 'ipaddr.js';

/**
 * How one kind of setting is read from its environment variable: one rule per kind, used by every
 * variable of that kind. `parse` gets the trimmed, non-empty text and throws `invalid_argument` naming
 * the variable, what it got and what is valid.
 */
export interface Kind<T> {
  /** What the value looks like, for errors and the settings table (docs/settings.md). */
  readonly describe: string;
  parse(text: string, name: string): T;
}

function invalid(name: string, text: string, expected: string, details: Record<string, unknown> = {}) {
  return new NetlensError('invalid_argument', `${name} must be ${expected}; got '${text}'`, {
    details: { variable: name, value: text, ...details },
  });
}

/** A whole number within [min, max]. */
export function int(range: { min?: number; max?: number } = {}): Kind<number> {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = range;
  const expected =
    max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
  return {
    describe: expected,
    parse(text, name) {
      const value = Number(text);
      if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
        throw invalid(name, text, expected, { min, max });
      }
      return value;
    },
  };
}

/** A finite decimal number ≥ min. */
export function decimal(range: { min?: number; positive?: boolean } = {}): Kind<number> {
  const { min = 0, positive = false } = range;
  const expected = positive ? 'a number > 0' : `a number ≥ ${min}`;
  return {
    describe: expected,
    parse(text, name) {
      const value = Number(text);
      if (!Number.isFinite(value) || value < min || (positive && value <= 0)) {
        throw invalid(name, text, expected, { min });
      }
      return value;
    },
  };
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

/** A boolean: 1/true/yes/on or 0/false/no/off (any case). Anything else is an error, never "false". */
export const flag: Kind<boolean> = {
  describe: `${TRUE.join('/')} or ${FALSE.join('/')}`,
  parse(text, name) {
    const lower = text.toLowerCase();
    if (TRUE.includes(lower)) return true;
    if (FALSE.includes(lower)) return false;
    throw invalid(name, text, `one of ${[...TRUE, ...FALSE].join(', ')}`, { valid: [...TRUE, ...FALSE] });
  },
};

/** Free text (a path, a host name, a model name). */
export const text: Kind<string> = {
  describe: 'text',
  parse: (value) => value,
};

/** One of a fixed set of words (case-insensitive). */
export function oneOf<const T extends string>(values: readonly T[]): Kind<T> {
  return {
    describe: `one of ${values.join(', ')}`,
    parse(value, name) {
      const lower = value.toLowerCase();
      const found = values.find((v) => v === lower);
      if (found === undefined) {
        throw invalid(name, value, `one of ${values.join(', ')}`, { valid: values });
      }
      return found;
    },
  };
}

/** A comma-separated list; empty items are dropped; each item parsed by `item`. */
export function list<T>(item: Kind<T>, options: { nonEmpty?: boolean } = {}): Kind<T[]> {
  return {
    describe: `comma-separated list of ${item.describe}`,
    parse(value, name) {
      const items = value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (options.nonEmpty === true && items.length === 0) {
        throw invalid(name, value, `a comma-separated list with at least one ${item.describe}`);
      }
      return items.map((s, i) => item.parse(s, `${name}[${i}]`));
    },
  };
}

/** A model name as manifests spell it (lowercase letters, digits, '.', '_', '-'). */
export const modelName: Kind<string> = {
  describe: 'a model name (lowercase letters, digits, ".", "_", "-")',
  parse(value, name) {
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(value)) {
      throw invalid(name, value, 'a model name of lowercase letters, digits, ".", "_" or "-"');
    }
    return value;
  },
};

export interface RateLimitSetting {
  perMinute: number;
  burst: number;
}

/** `<perMinute>[/<burst>]`, e.g. 600 or 600/60; the burst defaults to a tenth of the rate (≥ 1). */
export const rateLimit: Kind<RateLimitSetting> = {
  describe: '<requests per minute>[/<burst>], e.g. 600/60',
  parse(value, name) {
    const match = /^(\d+(?:\.\d+)?)(?:\/(\d+))?$/.exec(value);
    const perMinute = Number(match?.[1]);
    if (!match || !(perMinute > 0) || match[2] === '0') {
      throw invalid(name, value, "like '600' or '600/60' (requests per minute / burst)");
    }
    return {
      perMinute,
      burst: match[2] !== undefined ? Number(match[2]) : Math.max(1, Math.ceil(perMinute / 10)),
    };
  },
};

/** One API key as configured: a clear key (hashed before use) or its sha256. */
export type ApiKeySetting = { name: string } & ({ key: string } | { sha256: string });

/**
 * `name:key`, `name:sha256:<hex>`, `key` or `sha256:<hex>`, comma separated. Unnamed keys are called
 * key1, key2, … by position.
 */
export const apiKeys: Kind<ApiKeySetting[]> = {
  describe: 'comma-separated name:key, name:sha256:<hex>, key or sha256:<hex>',
  parse(value, name) {
    const entries = value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return entries.map((entry, i) => {
      const parts = entry.split(':');
      const named = parts.length >= 2 && parts[0] !== 'sha256';
      const keyName = named ? parts[0]! : `key${i + 1}`;
      const rest = named ? parts.slice(1) : parts;
      if (rest[0] === 'sha256' && rest.length === 2) {
        if (!/^[0-9a-f]{64}$/.test(rest[1]!)) {
          throw invalid(`${name}[${i}]`, entry, 'sha256:<64 lowercase hex digits>');
        }
        return { name: keyName, sha256: rest[1]! };
      }
      const key = rest.join(':');
      if (key === '') throw invalid(`${name}[${i}]`, entry, 'a non-empty key');
      return { name: keyName, key };
    });
  },
};

/** A Standard Webhooks secret: `whsec_` followed by base64 of the key bytes. */
export const webhookSecret: Kind<string> = {
  describe: 'a Standard Webhooks secret (whsec_<base64>)',
  parse(value, name) {
    const body = value.startsWith('whsec_') ? value.slice('whsec_'.length) : undefined;
    let bytes = 0;
    try {
      bytes = body !== undefined && /^[A-Za-z0-9+/]+={0,2}$/.test(body) ? atob(body).length : 0;
    } catch {
      bytes = 0;
    }
    if (bytes < 16) {
      throw invalid(
        name,
        `${value.slice(0, 6)}…`,
        'whsec_ followed by the base64 of at least 16 random bytes',
      );
    }
    return value;
  },
};

/** An IPv4 or IPv6 address or CIDR block, written back in canonical `address/prefix` form. */
export const cidr: Kind<string> = {
  describe: 'an IP address or CIDR block (127.0.0.1, 10.0.0.0/8, ::1/128)',
  parse(value, name) {
    try {
      const [address, prefix] = value.includes('/')
        ? ipaddr.parseCIDR(value)
        : (() => {
            const a = ipaddr.parse(value);
            return [a, a.kind() === 'ipv4' ? 32 : 128] as const;
          })();
      return `${address.toString()}/${prefix}`;
    } catch {
      throw invalid(name, value, 'an IP address or CIDR block such as 127.0.0.1 or 10.0.0.0/8');
    }
  },
};

/** Where jobs live: `sqlite:<file>` or a Redis URL (`redis://…`, `rediss://…`). */
export const queueUrl: Kind<string> = {
  describe: 'sqlite:<file> or redis://[user:password@]host:port[/db]',
  parse(value, name) {
    if (/^sqlite:.+/.test(value) || /^rediss?:\/\/[^/]+/.test(value)) return value;
    throw invalid(
      name,
      value,
      'sqlite:<file> (e.g. sqlite:/var/lib/netlens/jobs.sqlite) or redis://host:port',
    );
  },
};

/** An absolute http(s) URL. */
export const httpUrl: Kind<string> = {
  describe: 'an http(s) URL',
  parse(value, name) {
    if (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)) return value;
    throw invalid(name, value, 'an absolute http:// or https:// URL');
  },
};
