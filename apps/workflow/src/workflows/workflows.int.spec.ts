import type { NatsConnection } from 'nats';
import { EventTypes } from '@kera/contracts';
import { eventually, startSystem, type RunningSystem } from '@kera/testing';
import {
  call,
  createTicket,
  eventsOn,
  natsOf,
  putWorkflow,
  workflowYaml,
  type Answer,
} from '../tickets/api.helpers.spec';
import { fuzzedWorkflows } from './fuzzed-workflows.spec';

jest.setTimeout(180_000);

/** A workflow with fourteen problems of twelve kinds; each line is numbered as the YAML sees it. */
const MISTAKES = [
  'states: [backlog, todo, in_progress, review, done, todo, limbo]', // 1
  'initial: triage', // 2
  'colour: blue', // 3
  'transitions:', // 4
  '  - from: backlog', // 5
  '    to: todo', // 6
  '    when: always', // 7
  '  - from: todo', // 8
  '    to: in_progress', // 9
  '    actions:', // 10
  '      - type: send_email', // 11
  '        url: https://mail.example.com', // 12
  '      - type: send_webhook', // 13
  '        url: ftp://ci.example.com/trigger', // 14
  '        timeout_ms: 50', // 15
  '        retry: {attempts: 99}', // 16
  '        headers: [X-Team]', // 17
  '  - from: todo', // 18
  '    to: in_progress', // 19
  '  - from: in_progress', // 20
  '    to: qa', // 21
  '  - from: review', // 22
  '    to: done', // 23
  'git:', // 24
  '  on_merge: shipped', // 25
  '  on_deploy: done', // 26
  '',
].join('\n');

/**
 * Workflows through the real gateway and workflow service: validation with
 * positions, versions as events, the YAML kept exactly, hostile bodies.
 */
describe('workflows over HTTP', () => {
  let system: RunningSystem;
  let nc: NatsConnection;

  beforeAll(async () => {
    system = await startSystem();
    nc = await natsOf(system);
  });

  afterAll(async () => {
    await nc?.close();
    await system?.stop();
  });

  it('reports every mistake of a workflow at its line and column, all at once', async () => {
    const answer = await putWorkflow(system, 'MISTAKE', MISTAKES);

    expect(answer.status).toBe(422);
    expect(answer.contentType).toContain('application/problem+json');
    expect(answer.body.detail).toBe('the workflow has 14 problems');
    const at = (line: number, column: number, message: string) => ({
      line,
      column,
      message: expect.stringContaining(message),
    });
    expect(answer.body.errors).toEqual([
      at(1, 52, 'state "todo" is listed twice'),
      at(1, 58, 'state "limbo" cannot be reached'),
      at(2, 10, 'unknown state "triage"'),
      at(3, 1, 'unknown key "colour"'),
      at(7, 5, 'unknown key "when"'),
      at(11, 15, 'unknown action type "send_email"'),
      at(14, 14, 'must be an http or https URL'),
      at(15, 21, 'timeout_ms must be a whole number from 100 to 60000'),
      at(16, 27, 'retry.attempts must be a whole number from 1 to 10'),
      at(17, 18, 'headers must be a mapping'),
      at(18, 11, 'duplicate transition "todo" → "in_progress"; first on line 8'),
      at(21, 9, 'unknown state "qa"'),
      at(25, 13, 'unknown state "shipped"'),
      at(26, 3, 'unknown key "on_deploy" in git'),
    ]);
  });

  it('reports YAML that does not parse at the place it breaks', async () => {
    const answer = await putWorkflow(system, 'BROKEN', 'transitions:\n  - from: a\n    to: [b\n');

    expect(answer.status).toBe(422);
    expect(answer.body.errors.length).toBeGreaterThan(0);
    for (const error of answer.body.errors) {
      expect(error).toEqual({
        line: expect.any(Number),
        column: expect.any(Number),
        message: expect.any(String),
      });
    }
    expect(answer.body.errors[0]).toMatchObject({ line: 3, column: 9 });
  });

  it('keeps the previous version in force when a workflow is rejected', async () => {
    const first = workflowYaml(['draft', 'published']);
    await putWorkflow(system, 'KEEP', first);

    const rejected = await putWorkflow(system, 'KEEP', 'transitions:\n  - from: a\n');
    const current = await call(system, 'GET', '/api/projects/KEEP/workflow');
    const ticket = await createTicket(system, 'KEEP');

    expect(rejected.status).toBe(422);
    expect(current.body).toBe(first);
    expect(ticket.body.state).toBe('draft');
    const events = await eventsOn(
      nc,
      system,
      'WORKFLOWS',
      system.environment.naming.workflowEvents('KEEP'),
    );
    expect(events).toHaveLength(1);
  });

  it('answers GET with the YAML exactly as it was put', async () => {
    const yaml = [
      '# Release flow — owned by the platform team  ',
      'states: [ draft , "in review", shipped ]\r',
      '',
      'transitions:   # every move',
      '  - {from: draft, to: "in review"}',
      "  - from: 'in review'",
      '    to: shipped',
      '    actions:',
      '      - type: send_webhook',
      '        url: https://hooks.example.com/ship?x=1&y=ü',
      '        headers: &h {X-Team: core}',
      '  - from: shipped',
      '    to: draft\t',
    ].join('\n');

    const put = await putWorkflow(system, 'EXACT', yaml);
    const got = await system.api('/api/projects/EXACT/workflow');

    expect(put.status).toBe(200);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toContain('application/yaml');
    expect(got.headers.get('x-kera-workflow-version')).toBe('1');
    expect(await got.text()).toBe(yaml);
  });

  it('stores each accepted workflow as a new version event, which the audit trail records', async () => {
    const first = await putWorkflow(system, 'AUD', workflowYaml(['a', 'b']));
    const second = await putWorkflow(system, 'AUD', workflowYaml(['a', 'b'], ['b', 'a']));

    expect([first.body.version, second.body.version]).toEqual([1, 2]);
    const events = await eventsOn(
      nc,
      system,
      'WORKFLOWS',
      system.environment.naming.workflowEvents('AUD'),
    );
    expect(
      events.map((event) => [event.type, (event.data as { version: number }).version]),
    ).toEqual([
      [EventTypes.workflowUpdated, 1],
      [EventTypes.workflowUpdated, 2],
    ]);
    const ids = events.map((event) => event.id);
    await eventually(
      async () => {
        const audit = await call(system, 'GET', `/api/audit?type=${EventTypes.workflowUpdated}`);
        const audited = (audit.body.items ?? []).map((item: { event_id: string }) => item.event_id);
        if (ids.every((id) => audited.includes(id))) return true;
        throw new Error(
          `audit answered ${audit.status} ${JSON.stringify(audit.body).slice(0, 300)}`,
        );
      },
      20_000,
      'both versions in the audit trail',
    );
  });

  it('answers unknown projects, bad keys and wrong bodies with problems', async () => {
    const answers: Record<string, Promise<Answer>> = {
      'GET unknown project': call(system, 'GET', '/api/projects/NOWHERE/workflow'),
      'GET invalid key': call(system, 'GET', '/api/projects/not-a-key/workflow'),
      'PUT invalid key': putWorkflow(system, 'lower', workflowYaml(['a', 'b'])),
      'PUT as JSON': call(system, 'PUT', '/api/projects/JSON/workflow', { transitions: [] }),
      'PUT over 256 KiB': putWorkflow(system, 'HUGE', `# ${'x'.repeat(300 * 1024)}\n`),
    };
    const statuses: Record<string, number> = {};
    for (const [name, answer] of Object.entries(answers)) {
      const { status, contentType } = await answer;
      statuses[name] = status;
      expect(contentType).toContain('application/problem+json');
    }

    expect(statuses).toEqual({
      'GET unknown project': 404,
      'GET invalid key': 404,
      'PUT invalid key': 422,
      'PUT as JSON': 400,
      'PUT over 256 KiB': 413,
    });
  });

  it('answers 300 fuzzed YAML bodies with 200 or 422, never a 5xx, and keeps every service up', async () => {
    const bodies = fuzzedWorkflows(0x5eed, 300);
    const answers: Answer[] = [];
    for (let i = 0; i < bodies.length; i += 8) {
      // One project per body in flight: valid bodies of one project would race (409).
      const batch = bodies.slice(i, i + 8).map((body, j) => putWorkflow(system, `FUZZ${j}`, body));
      answers.push(...(await Promise.all(batch)));
    }

    const unexpected = answers
      .map((answer, i) => ({ status: answer.status, body: bodies[i]?.slice(0, 200) }))
      .filter(({ status }) => status !== 200 && status !== 422);
    expect(unexpected).toEqual([]);
    for (const answer of answers.filter((a) => a.status === 422)) {
      expect(answer.body.errors.length).toBeGreaterThan(0);
    }
    for (const service of system.services.values()) {
      expect(service.child.exitCode).toBeNull();
      expect((await fetch(`${service.healthUrl}/readyz`)).status).toBe(200);
    }
    expect((await putWorkflow(system, 'FUZZ', workflowYaml(['a', 'b']))).status).toBe(200);
  });
});
