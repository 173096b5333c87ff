export * from './model';
export { fromGithub } from './github';
export { fromGitlab } from './gitlab';
export * from './ticket-refs';
export * from './links';
export * from './link-plan';
