/**
 * The gRPC target forms an upstream address may take, as grpc-js resolves them: `host:port`
 * (`[v6]:port`), `dns:///host:port`, `dns:host:port`, `dns://server/host:port`,
 * `ipv4:` and `ipv6:` address lists (with or without `///`), `unix:` paths and
 * `unix-abstract:` names. A port is required (grpc-js would call port 443 without one)
 * and must be 1-65535; other schemes (`http://`, `xds:`) grpc-js does not resolve.
 */
import { isIP } from 'node:net';

/** The forms, for messages. */
export const GRPC_TARGET_FORMS =
  'host:port, dns:///host:port, ipv4:1.2.3.4:port[,...], ipv6:[::1]:port[,...] or unix:/path';

const HOST_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/;
const PORT = /^[0-9]{1,5}$/;
const MAX_PORT = 65_535;

/** Why `address` is not a gRPC target grpc-js resolves, or undefined when it is one. */
export function grpcTargetProblem(address: string): string | undefined {
  if (/\s/.test(address)) return 'holds white space';
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(address)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'dns': {
      let rest = address.slice('dns:'.length);
      if (rest.startsWith('//')) {
        const slash = rest.indexOf('/', 2);
        if (slash < 0) return 'dns://server needs /host:port after it';
        rest = rest.slice(slash + 1);
      }
      return hostPortProblem(rest, 'any');
    }
    case 'ipv4':
    case 'ipv6': {
      const family = scheme === 'ipv4' ? 4 : 6;
      const list = address.slice(5).replace(/^\/\/\//, '');
      if (list === '') return `${scheme}: needs one or more addresses`;
      for (const item of list.split(',')) {
        const problem = hostPortProblem(item, family);
        if (problem) return problem;
      }
      return undefined;
    }
    case 'unix':
    case 'unix-abstract':
      return address.length > `${scheme}:`.length ? undefined : `${scheme}: needs a path`;
    default:
      // No scheme, or a host name followed by its port ("localhost:8001" reads as scheme
      // "localhost"): grpc-js resolves it with DNS. A URL ("http://") it does not.
      if (address.includes('://')) return `the scheme "${scheme ?? ''}" is no gRPC target grpc-js resolves`;
      return hostPortProblem(address, 'any');
  }
}

function hostPortProblem(text: string, family: 'any' | 4 | 6): string | undefined {
  let host: string;
  let port: string;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0 || text[end + 1] !== ':') return `"${text}" is not [address]:port`;
    host = text.slice(1, end);
    port = text.slice(end + 2);
    if (isIP(host) !== 6) return `"${host}" is not an IPv6 address`;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return `"${text}" has no port`;
    host = text.slice(0, colon);
    port = text.slice(colon + 1);
    if (family === 6 || host.includes(':')) return `"${text}": an IPv6 address is written [address]:port`;
    if (family === 4 ? isIP(host) !== 4 : !HOST_NAME.test(host)) {
      return family === 4 ? `"${host}" is not an IPv4 address` : `"${host}" is not a host name`;
    }
  }
  if (family === 4 && isIP(host) !== 4) return `"${host}" is not an IPv4 address`;
  if (!PORT.test(port) || Number(port) < 1 || Number(port) > MAX_PORT) {
    return `port "${port}" is not 1-${MAX_PORT}`;
  }
  return undefined;
}
