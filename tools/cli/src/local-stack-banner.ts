/**
 * What `sightline start` prints once the stack is up: each service's addresses and a first
 * command to try, or which services are not ready yet when the wait ran out.
 */
import { dialHost } from './local-stack-readiness.js';
import { LOCAL_STACK_PORTS } from './service-registry.js';

/** The router's address the CLI's commands dial by default (`infer`'s --address). */
const CLI_DEFAULT_ROUTER_ADDRESS = '127.0.0.1:8000';

/** A running service's addresses, from its resolved settings. */
export interface ServiceAddresses {
  readonly name: string;
  readonly host: string;
  readonly grpcPort: number;
  readonly httpPort: number;
}

/** The /readyz URL of a service. */
export function readyUrl(service: ServiceAddresses): string {
  return `http://${dialHost(service.host)}:${service.httpPort}/readyz`;
}

/** The lines printed when the wait for readiness ended. */
export function renderReadyBanner(
  services: readonly ServiceAddresses[],
  report: { readonly elapsedMs: number; readonly notReady: readonly string[] },
): string {
  const seconds = (report.elapsedMs / 1000).toFixed(1);
  if (report.notReady.length > 0) {
    return `not ready after ${seconds} s: ${report.notReady.join(', ')} (still starting, or see their lines above); Ctrl-C stops the stack\n`;
  }
  const width = Math.max(...services.map((service) => service.name.length));
  const rows = services.map((service) => {
    const host = dialHost(service.host);
    return `  ${service.name.padEnd(width)}  gRPC ${host}:${service.grpcPort}  metrics http://${host}:${service.httpPort}/metrics`;
  });
  const router = services.find((service) => service.name === 'router');
  const routerAddress = router ? `${dialHost(router.host)}:${router.grpcPort}` : CLI_DEFAULT_ROUTER_ADDRESS;
  const address = routerAddress === CLI_DEFAULT_ROUTER_ADDRESS ? '' : ` --address ${routerAddress}`;
  // The demo finds every service at its default address only: suggested when they are there.
  const atDefaults = services.every((service) => {
    const defaults = LOCAL_STACK_PORTS[service.name];
    return (
      defaults === undefined ||
      (service.grpcPort === defaults.grpcPort && dialHost(service.host) === '127.0.0.1')
    );
  });
  return [
    `ready in ${seconds} s:`,
    ...rows,
    `try: npx sightline infer iris --input '[[5.1,3.5,1.4,0.2]]'${address}`,
    ...(atDefaults ? ['then: npm run demo   (the monitoring story in about half a minute)'] : []),
    'Ctrl-C stops the stack',
    '',
  ].join('\n');
}
