import { parseWorkflow } from './parse-workflow';
import { REDACTED, redactWorkflow, redactWorkflowYaml, UNREADABLE_WORKFLOW_YAML } from './redact';
import { definitionOf, yamlLines } from './test-helpers.spec';

const WITH_SECRETS = yamlLines(
  '# previous secret: whsec_old_comment_secret',
  'x-anchors: &token "Bearer anchored_token"',
  'transitions:',
  '  - from: a',
  '    to: b',
  '    actions:',
  '      - type: send_webhook',
  '        url: https://ci.example.com/trigger',
  '        secret: whsec_live_secret',
  '        headers: {Authorization: "Bearer live_token", X-Team: core}',
  '        retry: {attempts: 2}',
  '      - type: send_webhook',
  '        url: https://hooks.example.com/plain',
);

describe('redactWorkflow', () => {
  const definition = definitionOf(WITH_SECRETS.replace(/^x-anchors.*\n/m, ''));

  it('replaces every secret and header value, keeping everything else', () => {
    const redacted = redactWorkflow(definition);

    expect(redacted.transitions[0]?.actions).toEqual([
      {
        type: 'send_webhook',
        url: 'https://ci.example.com/trigger',
        secret: REDACTED,
        headers: { Authorization: REDACTED, 'X-Team': REDACTED },
        timeout_ms: 10000,
        retry: { attempts: 2 },
      },
      {
        type: 'send_webhook',
        url: 'https://hooks.example.com/plain',
        headers: {},
        timeout_ms: 10000,
      },
    ]);
    expect(redacted.states).toEqual(definition.states);
  });

  it('leaves the original definition untouched', () => {
    redactWorkflow(definition);

    expect(definition.transitions[0]?.actions[0]?.secret).toBe('whsec_live_secret');
    expect(definition.transitions[0]?.actions[0]?.headers.Authorization).toBe('Bearer live_token');
  });
});

describe('redactWorkflowYaml', () => {
  it('writes the workflow without secrets, header values or comments', () => {
    const yaml = WITH_SECRETS.replace(/^x-anchors.*\n/m, '');
    const redacted = redactWorkflowYaml(yaml);

    for (const secret of ['whsec_live_secret', 'live_token', 'core', 'whsec_old_comment_secret']) {
      expect(redacted).not.toContain(secret);
    }
    expect(redacted).toContain('https://ci.example.com/trigger');
  });

  it('writes YAML that reads back as the redacted definition', () => {
    const yaml = WITH_SECRETS.replace(/^x-anchors.*\n/m, '');

    expect(parseWorkflow(redactWorkflowYaml(yaml))).toEqual({
      ok: true,
      definition: redactWorkflow(definitionOf(yaml)),
    });
  });

  it('withholds text that is not a valid workflow, wherever its secrets may be', () => {
    const redacted = redactWorkflowYaml(WITH_SECRETS);

    expect(redacted).toBe(UNREADABLE_WORKFLOW_YAML);
    expect(redactWorkflowYaml('secret: [unclosed')).toBe(UNREADABLE_WORKFLOW_YAML);
  });
});
