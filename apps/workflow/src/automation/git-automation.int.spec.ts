import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { githubPayloads as github, gitlabPayloads as gitlab } from '@kera/domain';
import {
  eventually,
  startReceiver,
  startSystem,
  type Receiver,
  type RunningSystem,
} from '@kera/testing';
import { InboundDriver, TicketsApi, newSha } from './git-automation.helpers.spec';

jest.setTimeout(180_000);

const GITHUB_REPOSITORY = 'https://github.com/kera-labs/kera-app';
const GITLAB_PROJECT = 'https://gitlab.kera.example/platform/billing-service';

const workflowYaml = (receiverUrl: string | null) => {
  const action = (path: string) =>
    receiverUrl === null
      ? ''
      : `\n    actions:\n      - type: send_webhook\n        url: ${receiverUrl}${path}`;
  return `states: [todo, in_progress, in_review, done]
initial: todo
transitions:
  - from: todo
    to: in_progress
  - from: [todo, in_progress]
    to: in_review${action('/review')}
  - from: in_review
    to: in_progress
  - from: [in_progress, in_review]
    to: done${action('/done')}
git:
  on_pull_request_opened: in_review
  on_merge: done
  on_pipeline_failed: in_progress
`;
};

interface PullRequestText {
  number: number;
  title: string;
  body: string;
  branch: string;
}

/** A GitHub pull request fixture renumbered and retitled for one test. */
function githubPullRequest(fixture: () => any, pr: PullRequestText): any {
  const payload = fixture();
  payload.number = pr.number;
  Object.assign(payload.pull_request, {
    number: pr.number,
    title: pr.title,
    body: pr.body,
    html_url: `${GITHUB_REPOSITORY}/pull/${pr.number}`,
    head: { ...payload.pull_request.head, ref: pr.branch },
  });
  return payload;
}

/** A GitLab merge request fixture renumbered and retitled for one test. */
function gitlabMergeRequest(fixture: () => any, mr: PullRequestText): any {
  const payload = fixture();
  const attributes = payload.object_attributes;
  Object.assign(attributes, {
    iid: mr.number,
    title: mr.title,
    description: mr.body,
    source_branch: mr.branch,
    url: `${GITLAB_PROJECT}/-/merge_requests/${mr.number}`,
    last_commit: { ...attributes.last_commit, message: 'Round VAT per line, not per invoice' },
  });
  return payload;
}

/** A GitHub push of one commit per message to a branch. */
function githubPush(branch: string, messages: string[]): any {
  const payload = github.push();
  payload.ref = `refs/heads/${branch}`;
  payload.commits = messages.map((message) => {
    const id = newSha();
    return { ...payload.commits[0]!, id, message, url: `${GITHUB_REPOSITORY}/commit/${id}` };
  });
  return payload;
}

describe('git automation on inbound webhooks', () => {
  let system: RunningSystem;
  let receiver: Receiver;
  let inbound: InboundDriver;
  let tickets: TicketsApi;
  let sentinel: string;
  let nextNumber = 100;
  const number = () => (nextNumber += 1);

  beforeAll(async () => {
    receiver = await startReceiver();
    system = await startSystem();
    inbound = await InboundDriver.connect(system);
    tickets = new TicketsApi(system);
    for (const [project, yaml] of [
      ['KER', workflowYaml(receiver.url)],
      ['OPS', workflowYaml(null)],
    ] as const) {
      const put = await system.api(`/api/projects/${project}/workflow`, {
        method: 'PUT',
        headers: { 'content-type': 'application/yaml' },
        body: yaml,
      });
      expect(put.status).toBe(200);
    }
    sentinel = await tickets.create('KER', 'Progress marker of this test run');
  });

  afterAll(async () => {
    await inbound?.close();
    await system?.stop();
    await receiver?.close();
  });

  /**
   * Resolves once every inbound event published so far has been processed:
   * the consumer takes them one at a time in order, so a marker published
   * now takes effect last.
   */
  async function processedAll(): Promise<void> {
    const push = githubPush('main', [`${sentinel} progress marker`]);
    await inbound.deliver('github', 'push', push);
    const sha: string = push.commits[0].id;
    await tickets.until(sentinel, (t) => t.links.some((l) => l.key.endsWith(`@${sha}`)), 'marker');
  }

  function postsFor(ticketId: string): { path: string; body: any }[] {
    return receiver.requests
      .map((request) => ({ path: request.url, body: JSON.parse(request.body) }))
      .filter((post) => post.body.ticket_id === ticketId);
  }

  function postOf(ticketId: string, path: string) {
    return eventually(
      async () => postsFor(ticketId).find((post) => post.path === path),
      20_000,
      `POST ${path} for ${ticketId}`,
    );
  }

  it('links a GitHub pull request and moves the named ticket, POSTing with the git user as actor', async () => {
    const [named, referenced] = [await tickets.create(), await tickets.create()];
    const pr = number();

    const delivered = await inbound.deliver(
      'github',
      'pull_request',
      githubPullRequest(github.pullRequestOpened, {
        number: pr,
        title: `${named}: sign in with passkeys`,
        body: `Adds WebAuthn passkeys.\r\n\r\nRefs ${referenced}`,
        branch: `feature/${named.toLowerCase()}-passkeys`,
      }),
    );

    const moved = await tickets.until(named, (t) => t.state === 'in_review', 'in review');
    expect(moved.links).toEqual([
      {
        key: `github:pull_request:602184417#${pr}`,
        provider: 'github',
        kind: 'pull_request',
        number: pr,
        url: `${GITHUB_REPOSITORY}/pull/${pr}`,
        title: `${named}: sign in with passkeys`,
        state: 'open',
      },
    ]);
    const post = await postOf(named, '/review');
    expect(post.body).toMatchObject({
      event: 'transition',
      from_state: 'todo',
      to_state: 'in_review',
      actor: 'mara-dev',
    });

    const caused = (await inbound.ticketEvents(named)).slice(1);
    expect(caused.map((event) => [event.type, event.correlationid, event.causationid])).toEqual([
      ['kera.ticket.linked', delivered.correlationid, delivered.id],
      ['kera.ticket.transitioned', delivered.correlationid, delivered.id],
    ]);

    const linkedOnly = await tickets.until(referenced, (t) => t.links.length === 1, 'linked');
    expect(linkedOnly.state).toBe('todo');
    expect(postsFor(referenced)).toEqual([]);
  });

  it('moves the named ticket to on_merge when its pull request is merged; every link follows', async () => {
    const [named, referenced] = [await tickets.create(), await tickets.create()];
    const text = {
      number: number(),
      title: `${named}: export invoices`,
      body: `Related to ${referenced}`,
      branch: `${named.toLowerCase()}-export`,
    };
    await inbound.deliver(
      'github',
      'pull_request',
      githubPullRequest(github.pullRequestOpened, text),
    );
    await tickets.until(named, (t) => t.state === 'in_review', 'in review');

    await inbound.deliver(
      'github',
      'pull_request',
      githubPullRequest(github.pullRequestMerged, text),
    );

    const done = await tickets.until(named, (t) => t.state === 'done', 'done');
    expect(done.links.map((link) => link.state)).toEqual(['merged']);
    expect((await postOf(named, '/done')).body).toMatchObject({
      from_state: 'in_review',
      to_state: 'done',
      actor: 'jonas-k',
    });
    const followed = await tickets.until(
      referenced,
      (t) => t.links[0]?.state === 'merged',
      'link merged',
    );
    expect(followed.state).toBe('todo');
  });

  it('marks the link closed and moves nothing when a pull request is closed unmerged', async () => {
    const named = await tickets.create();
    const text = {
      number: number(),
      title: `${named}: try another cache`,
      body: '',
      branch: `spike/${named.toLowerCase()}`,
    };
    await inbound.deliver(
      'github',
      'pull_request',
      githubPullRequest(github.pullRequestOpened, text),
    );
    await tickets.until(named, (t) => t.state === 'in_review', 'in review');

    await inbound.deliver(
      'github',
      'pull_request',
      githubPullRequest(github.pullRequestClosed, text),
    );
    await processedAll();

    const closed = await tickets.get(named);
    expect(closed.links.map((link) => link.state)).toEqual(['closed']);
    expect(closed.state).toBe('in_review');
  });

  it('moves a ticket that a pushed commit closes when the branch is merged, not one it refers to', async () => {
    const named = await tickets.create();
    const closed = await tickets.create();
    const referenced = await tickets.create();
    await tickets.move(closed, 'in_progress');
    const branch = `feature/${named.toLowerCase()}-login`;
    const push = githubPush(branch, [
      `${named} scaffold the login page`,
      `Store sessions per device\n\nFixes ${closed}, refs ${referenced}`,
    ]);

    await inbound.deliver('github', 'push', push);

    const withCommit = await tickets.until(closed, (t) => t.links.length === 1, 'commit link');
    expect(withCommit.links[0]).toEqual({
      key: `github:commit:602184417@${push.commits[1].id}`,
      provider: 'github',
      kind: 'commit',
      number: null,
      url: `${GITHUB_REPOSITORY}/commit/${push.commits[1].id}`,
      title: 'Store sessions per device',
      state: 'pushed',
    });
    await tickets.until(referenced, (t) => t.links.length === 1, 'commit link');

    const text = { number: number(), title: `${named}: login page`, body: 'Login.', branch };
    await inbound.deliver(
      'github',
      'pull_request',
      githubPullRequest(github.pullRequestOpened, text),
    );
    await inbound.deliver(
      'github',
      'pull_request',
      githubPullRequest(github.pullRequestMerged, text),
    );

    await tickets.until(named, (t) => t.state === 'done', 'named ticket done');
    const merged = await tickets.until(closed, (t) => t.state === 'done', 'closed ticket done');
    expect(merged.links.map((link) => `${link.kind}:${link.state}`).sort()).toEqual([
      'commit:pushed',
      'pull_request:merged',
    ]);
    await processedAll();
    const untouched = await tickets.get(referenced);
    expect(untouched.state).toBe('todo');
    expect(untouched.links.map((link) => link.kind)).toEqual(['commit']);
  });

  it('follows a GitLab merge request, its body read from the object store, from open to merged', async () => {
    const ticket = await tickets.create();
    const text = {
      number: number(),
      title: 'Fix VAT rounding for multi-line invoices',
      body: `Invoices were off by a cent.\n\n- Resolves ${ticket}`,
      branch: 'vat-rounding',
    };

    await inbound.deliver(
      'gitlab',
      'Merge Request Hook',
      gitlabMergeRequest(gitlab.mergeRequestOpened, text),
      { inObjectStore: true },
    );

    const opened = await tickets.until(ticket, (t) => t.state === 'in_review', 'in review');
    expect(opened.links).toEqual([
      {
        key: `gitlab:merge_request:4815#${text.number}`,
        provider: 'gitlab',
        kind: 'merge_request',
        number: text.number,
        url: `${GITLAB_PROJECT}/-/merge_requests/${text.number}`,
        title: text.title,
        state: 'open',
      },
    ]);
    expect((await postOf(ticket, '/review')).body.actor).toBe('priya.raman@kera.example');

    await inbound.deliver(
      'gitlab',
      'Merge Request Hook',
      gitlabMergeRequest(gitlab.mergeRequestMerged, text),
    );

    const merged = await tickets.until(ticket, (t) => t.state === 'done', 'done');
    expect(merged.links[0]?.state).toBe('merged');
    // Tomás keeps his e-mail private: GitLab sends a placeholder, so his username is the actor.
    expect((await postOf(ticket, '/done')).body.actor).toBe('tortega');
  });

  it('shows a failed GitLab pipeline on the merge request tickets and moves the named one back', async () => {
    const named = await tickets.create();
    const referenced = await tickets.create();
    const mr = number();
    const text = {
      number: mr,
      title: 'Ledger export',
      body: `Closes ${named}\n\nRelated to ${referenced}`,
      branch: `ledger-export-${mr}`,
    };
    await inbound.deliver(
      'gitlab',
      'Merge Request Hook',
      gitlabMergeRequest(gitlab.mergeRequestOpened, text),
    );
    await tickets.until(named, (t) => t.state === 'in_review', 'in review');

    const pipeline = gitlab.pipelineFailed();
    pipeline.object_attributes.ref = text.branch;
    pipeline.merge_request.iid = text.number;
    const delivered = await inbound.deliver('gitlab', 'Pipeline Hook', pipeline);

    const expectedView = {
      provider: 'gitlab',
      status: 'completed',
      conclusion: 'failure',
      url: `${GITLAB_PROJECT}/-/pipelines/771203`,
      ref: `refs/heads/${text.branch}`,
      sha: 'aaa7eb0c78f0b11b46bc7c5d102b06a294232d57',
      updated_at: delivered.data.received_at,
    };
    const failed = await tickets.until(named, (t) => t.state === 'in_progress', 'moved back');
    expect(failed.pipeline).toEqual(expectedView);
    const shown = await tickets.until(referenced, (t) => t.pipeline !== null, 'pipeline shown');
    expect(shown.pipeline).toEqual(expectedView);
    expect(shown.state).toBe('todo');
  });

  it('records a GitHub workflow run of a fork, which names no branch, by its pull request number', async () => {
    const ticket = await tickets.create();
    const pr = number();
    await inbound.deliver(
      'github',
      'pull_request',
      githubPullRequest(github.pullRequestFromFork, {
        number: pr,
        title: `${ticket}: typo in the README`,
        body: '',
        branch: 'main',
      }),
    );
    await tickets.until(ticket, (t) => t.links.length === 1, 'linked');

    const run = github.workflowRunFailedWithoutBranch();
    run.workflow_run.pull_requests[0]!.number = pr;
    await inbound.deliver('github', 'workflow_run', run);

    const failed = await tickets.until(ticket, (t) => t.pipeline !== null, 'pipeline shown');
    expect(failed.pipeline).toMatchObject({
      provider: 'github',
      status: 'completed',
      conclusion: 'failure',
      url: `${GITHUB_REPOSITORY}/actions/runs/8130551902`,
      ref: null,
      sha: '77f7ab0cee9f4fad93c70d26632a750ce7a242ee',
    });
    // The draft PR moved nothing; the failed run moves the ticket the PR title names.
    const moved = await tickets.until(ticket, (t) => t.state === 'in_progress', 'moved');
    expect(moved.links[0]?.state).toBe('open');
    const moves = (await inbound.ticketEvents(ticket)).filter(
      (event) => event.type === 'kera.ticket.transitioned',
    );
    expect(moves.map((event) => event.data.actor)).toEqual(['quinn-oss']);
  });

  it('removes the links a description says to skip or ignore, read from a form-encoded body', async () => {
    const [skipped, ignored] = [await tickets.create(), await tickets.create()];
    const text = {
      number: number(),
      title: `${skipped} and ${ignored}: settings page`,
      body: 'Settings.',
      branch: 'settings-page',
    };
    await inbound.deliver(
      'github',
      'pull_request',
      githubPullRequest(github.pullRequestOpened, text),
    );
    await tickets.until(skipped, (t) => t.links.length === 1, 'linked');
    await tickets.until(ignored, (t) => t.links.length === 1, 'linked');

    const edited = githubPullRequest(github.pullRequestOpened, {
      ...text,
      body: `Settings.\r\n\r\nskip ${skipped}\r\nignore ${ignored}`,
    });
    edited.action = 'edited';
    await inbound.deliver('github', 'pull_request', edited, { form: true });

    await tickets.until(skipped, (t) => t.links.length === 0, 'unlinked');
    await tickets.until(ignored, (t) => t.links.length === 0, 'unlinked');
    const unlinked = (await inbound.ticketEvents(skipped)).filter(
      (event) => event.type === 'kera.ticket.unlinked',
    );
    expect(unlinked.map((event) => event.data.actor)).toEqual(['mara-dev']);
  });

  it('skips a move the workflow does not allow and records it in the audit trail', async () => {
    const ticket = await tickets.create();
    await tickets.move(ticket, 'in_progress', 'done');

    await inbound.deliver(
      'github',
      'pull_request',
      githubPullRequest(github.pullRequestOpened, {
        number: number(),
        title: `${ticket}: follow-up`,
        body: '',
        branch: 'follow-up',
      }),
    );

    const kept = await tickets.until(ticket, (t) => t.links.length === 1, 'linked');
    await processedAll();
    const skipped = {
      ticket_id: ticket,
      from_state: 'done',
      to_state: 'in_review',
      reason: 'on_pull_request_opened: the workflow has no transition from "done" to "in_review"',
      actor: 'mara-dev',
    };
    const events = await inbound.ticketEvents(ticket);
    expect(events.slice(-2).map((event) => [event.type, event.data])).toEqual([
      ['kera.ticket.linked', expect.anything()],
      ['kera.ticket.transition_skipped', skipped],
    ]);
    expect((await tickets.get(ticket)).state).toBe('done');
    expect(kept.state).toBe('done');

    const entry = await eventually(
      async () =>
        (await tickets.audit(ticket)).find((e) => e.type === 'kera.ticket.transition_skipped'),
      20_000,
      'the skipped move in the audit trail',
    );
    expect(entry.payload).toEqual(skipped);
  });

  it("links only the integration's project's tickets", async () => {
    const ours = await tickets.create('OPS');
    const theirs = await tickets.create('KER');

    await inbound.deliver(
      'github',
      'pull_request',
      githubPullRequest(github.pullRequestOpened, {
        number: number(),
        title: `${ours} and ${theirs}: shared config`,
        body: '',
        branch: 'shared-config',
      }),
      { integration: 'int_ops', project: 'OPS' },
    );
    await tickets.until(ours, (t) => t.state === 'in_review', 'moved');
    await processedAll();

    const untouched = await tickets.get(theirs);
    expect(untouched.links).toEqual([]);
    expect(untouched.state).toBe('todo');
  });

  it('changes nothing twice when the same inbound event is delivered again', async () => {
    const ticket = await tickets.create();
    const first = await inbound.deliver(
      'github',
      'pull_request',
      githubPullRequest(github.pullRequestOpened, {
        number: number(),
        title: `${ticket}: audit export`,
        body: '',
        branch: 'audit-export',
      }),
    );
    const moved = await tickets.until(ticket, (t) => t.state === 'in_review', 'in review');
    await postOf(ticket, '/review');
    await processedAll();

    // The same event again, then under a new event id (a gateway retry), then once more after
    // the record of processed deliveries lost it: each change must compare with the ticket.
    await inbound.publish(first);
    await inbound.publish({ ...first, id: randomUUID() });
    await processedAll();
    const db = new Client({ connectionString: system.environment.databaseUrl });
    await db.connect();
    try {
      const deleted = await db.query('DELETE FROM git_inbound_processed WHERE delivery_id = $1', [
        first.data.delivery_id,
      ]);
      expect(deleted.rowCount).toBe(1);
    } finally {
      await db.end();
    }
    await inbound.publish({ ...first, id: randomUUID() });
    await processedAll();

    const after = await tickets.get(ticket);
    expect(after.version).toBe(moved.version);
    expect(postsFor(ticket)).toHaveLength(1);
    const types = (await inbound.ticketEvents(ticket)).map((event) => event.type);
    expect(types).toEqual([
      'kera.ticket.created',
      'kera.ticket.linked',
      'kera.ticket.transitioned',
    ]);
  });

  it('never links look-alike keys of projects that do not exist, nor tickets that do not exist', async () => {
    const ticket = await tickets.create();
    const delivered = await inbound.deliver(
      'github',
      'pull_request',
      githubPullRequest(github.pullRequestOpened, {
        number: number(),
        title: 'Bump UTF-8 handling and SHA-256 pins',
        body: `Dates as ISO-8601, see RFC-3339. Fixes KER-99999 and ${ticket}.`,
        branch: 'utf-8-sha-256',
      }),
    );
    await tickets.until(ticket, (t) => t.state === 'in_review', 'moved');
    await processedAll();

    const caused = (await inbound.ticketEvents()).filter(
      (event) => event.correlationid === delivered.correlationid,
    );
    expect(caused.map((event) => `${event.type} ${event.subject}`)).toEqual([
      `kera.ticket.linked ${ticket}`,
      `kera.ticket.transitioned ${ticket}`,
    ]);
    expect((await system.api('/api/tickets/KER-99999')).status).toBe(404);
  });
});
