/**
 * Publishes one endpoint with publishEndpoint() in a process of its own, for avahi-interop.sh.
 * Usage: tsx publish-endpoint.ts JSON_ENDPOINT INTERFACE. Prints "ready" once announced; closes
 * the publication (goodbye) and exits when stdin ends.
 */
import { publishEndpoint, type EndpointInfo } from '../../src/index.js';

const [json, iface] = process.argv.slice(2);
const publication = await publishEndpoint(JSON.parse(json!) as EndpointInfo, { interface: iface! });
process.stdout.write(`ready ${publication.instanceName}\n`);
process.stdin.resume().on('end', () => void publication.close().then(() => process.exit(0)));
