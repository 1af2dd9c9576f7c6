// `npx platter <command>`: the operator's view of a running cluster.
import { runBootstrap } from './bootstrap.js';
import { isDiskStateVerb, runDiskState } from './disk-state.js';
import { runDisks } from './disks.js';
import { runKeys } from './keys.js';
import { runStatus } from './status.js';

const USAGE = `usage: platter <command> [options]

commands:
  status [--json]   every member by role, with address, labels and health
  disks [--json]    every disk: node, failure domain, state, live or not, fill and heat
  disks activate|drain|retire|fail <diskId...> [--reason=<text>]
                    change disk states through the placement service
  disks activate --all-joining
                    admit every joining disk
  bootstrap         create the cluster config and root key in etcd if absent
  keys create --account <id> [--json]
                    a new access key for an account (another tenant)

The cluster is found through ETCD_ENDPOINTS (and REDIS_URL for heat), else .platter/cluster.env.`;

const [command, ...args] = process.argv.slice(2);
try {
  switch (command) {
    case 'status':
      process.exitCode = await runStatus(args);
      break;
    case 'disks':
      process.exitCode = isDiskStateVerb(args[0]) ? await runDiskState(args) : await runDisks(args);
      break;
    case 'bootstrap':
      process.exitCode = await runBootstrap();
      break;
    case 'keys':
      process.exitCode = await runKeys(args);
      break;
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      break;
    default:
      console.error(`platter: unknown command '${command}'\n\n${USAGE}`);
      process.exitCode = 2;
  }
} catch (err) {
  console.error(`platter: ${(err as Error).message}`);
  process.exitCode = 1;
}
