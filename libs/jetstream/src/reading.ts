import type { JetStreamManager, StoredMsg } from 'nats';

interface DirectGet {
  getMessage(stream: string, query: { seq: number; next_by_subj: string }): Promise<StoredMsg>;
}

/**
 * The first message on `subject` at or after `fromSeq`, read with the
 * stream's direct-get API (any replica answers); null when there is none.
 * The client implements `direct` on its manager without declaring it.
 */
export async function nextOnSubject(
  jsm: JetStreamManager,
  stream: string,
  subject: string,
  fromSeq: number,
): Promise<StoredMsg | null> {
  const direct = (jsm as JetStreamManager & { direct: DirectGet }).direct;
  try {
    return await direct.getMessage(stream, { seq: fromSeq, next_by_subj: subject });
  } catch (error) {
    if ((error as { code?: string }).code === '404') return null;
    throw error;
  }
}
