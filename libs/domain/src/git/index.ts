export * from './model';
export { fromGithub } from './github';
export { fromGitlab } from './gitlab';
export * from './ticket-refs';
export * from './links';
export * from './link-plan';
/** Trimmed real webhook bodies, for tests of the code that consumes inbound git events. */
export * as githubPayloads from './fixtures/github';
export * as gitlabPayloads from './fixtures/gitlab';
