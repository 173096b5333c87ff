import type { ConsumerMessages, JetStreamManager, StoredMsg } from 'nats';

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

/**
 * Messages a consume or fetch has received from the server and not yet handed to its reader
 * (the one in hand is not counted). nats.js's getPending() also counts the pull requests the
 * client queues among the messages, so it may stay above zero after the last message: use this.
 */
export function unreadMessages(messages: ConsumerMessages): number {
  return messages.getReceived() - messages.getProcessed();
}
