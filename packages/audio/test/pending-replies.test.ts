import { describe, expect, it } from 'vitest';
import { PendingReplies } from '@syfala/audio';

describe('PendingReplies', () => {
  it('gives each reply to the request with its number, whatever the order', async () => {
    const replies = new PendingReplies<string>();
    const sent: number[] = [];
    const first = replies.ask<string>('first', (id) => sent.push(id));
    const second = replies.ask<string>('second', (id) => sent.push(id));
    expect(replies.size).toBe(2);
    replies.resolve(sent[1]!, 'two');
    replies.reject(sent[0]!, (context) => new Error(`${context} failed`));
    await expect(second).resolves.toBe('two');
    await expect(first).rejects.toThrow('first failed');
    // A reply to no request (answered already, or never asked) changes nothing.
    replies.resolve(sent[1]!, 'again');
    replies.resolve(99, 'none');
    expect(replies.size).toBe(0);
  });

  it('rejects what is pending and everything later with why the other side died, once', async () => {
    const replies = new PendingReplies<undefined>();
    const pending = replies.ask(undefined, () => undefined);
    const died = new Error('the other side stopped');
    expect(replies.die(died)).toBe(true);
    expect(replies.die(new Error('again'))).toBe(false);
    await expect(pending).rejects.toBe(died);
    let sent = false;
    await expect(replies.ask(undefined, () => (sent = true))).rejects.toBe(died);
    expect({ sent, size: replies.size, dead: replies.dead }).toEqual({
      sent: false,
      size: 0,
      dead: died,
    });
  });
});
