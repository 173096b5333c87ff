import { Foundation1767000000000 } from './1767000000000-foundation';
import { Integrations1767000001000 } from './1767000001000-integrations';
import { GitAutomation1767000005000 } from './1767000005000-git-automation';
import { Deliveries1767000002000 } from './1767000002000-deliveries';
import { Audit1767000003000 } from './1767000003000-audit';
import { InboundLedger1767000006000 } from './1767000006000-inbound-ledger';

/** Every migration, oldest first. Add new ones at the end; never edit an applied one. */
export const MIGRATIONS = [
  Foundation1767000000000,
  Integrations1767000001000,
  GitAutomation1767000005000,
  Deliveries1767000002000,
  Audit1767000003000,
  InboundLedger1767000006000,
];
