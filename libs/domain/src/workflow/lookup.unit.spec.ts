import { canTransition, findTransition, removedStates, statesMissingFrom } from './lookup';
import { definitionOf, yamlLines } from './test-helpers.spec';

const WORKFLOW = definitionOf(
  yamlLines(
    'states: [backlog, todo, in_progress, in_review, done]',
    'transitions:',
    '  - from: "*"',
    '    to: in_review',
    '    actions: [{type: send_webhook, url: "https://any.example/hook"}]',
    '  - from: [todo, in_progress]',
    '    to: in_review',
    '    actions: [{type: send_webhook, url: "https://ci.example.com/trigger"}]',
    '  - {from: backlog, to: todo}',
    '  - {from: todo, to: in_progress}',
    '  - {from: in_review, to: done}',
    '  - {from: "*", to: backlog}',
  ),
);

describe('findTransition', () => {
  it('prefers a transition that lists the state over an earlier "*" one', () => {
    expect(findTransition(WORKFLOW, 'in_progress', 'in_review')?.actions[0]?.url).toBe(
      'https://ci.example.com/trigger',
    );
  });

  it('falls back to the "*" transition for a state no transition lists', () => {
    expect(findTransition(WORKFLOW, 'done', 'in_review')?.from).toBe('*');
  });

  it('lets "*" move a ticket out of a state the workflow no longer has', () => {
    expect(findTransition(WORKFLOW, 'archived', 'backlog')?.from).toBe('*');
  });

  it('answers undefined when the workflow has no such move', () => {
    expect(findTransition(WORKFLOW, 'backlog', 'done')).toBeUndefined();
    expect(findTransition(WORKFLOW, 'done', 'todo')).toBeUndefined();
  });
});

describe('canTransition', () => {
  it('tells whether the workflow allows a move', () => {
    expect(canTransition(WORKFLOW, 'backlog', 'todo')).toBe(true);
    expect(canTransition(WORKFLOW, 'todo', 'backlog')).toBe(true);
    expect(canTransition(WORKFLOW, 'in_progress', 'todo')).toBe(false);
  });
});

describe('states that a workflow no longer has', () => {
  const next = definitionOf(yamlLines('transitions:', '  - {from: todo, to: done}'));

  it('lists the given states missing from the workflow, once each, in the order given', () => {
    expect(statesMissingFrom(next, ['review', 'todo', 'qa', 'review', 'done'])).toEqual([
      'review',
      'qa',
    ]);
  });

  it('lists the states of the previous workflow that the next one dropped', () => {
    expect(removedStates(WORKFLOW, next)).toEqual(['backlog', 'in_progress', 'in_review']);
    expect(removedStates(next, WORKFLOW)).toEqual([]);
  });
});
