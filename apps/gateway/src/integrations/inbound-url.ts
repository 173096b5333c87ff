/** The path of an integration's inbound URL. */
export function inboundPath(slug: string, token: string): string {
  return `/webhooks/inbound/${slug}/${token}`;
}

/**
 * The URL to give GitHub, GitLab or another sender: the path alone, or appended to the public
 * base URL (with any path it has) when one is configured.
 */
export function inboundUrl(publicUrl: string | null, slug: string, token: string): string {
  const path = inboundPath(slug, token);
  if (publicUrl === null) return path;
  return `${publicUrl.replace(/\/+$/, '')}${path}`;
}
