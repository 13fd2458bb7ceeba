import { Metadata, status } from '@grpc/grpc-js';
import { ResourceExhaustedError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { messageLimitHint, toSightlineError } from './grpc-error.js';

/** A ServiceError as grpc-js fails a call with. */
function serviceError(code: status, details: string) {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });
}

describe('toSightlineError', () => {
  // grpc-js 1.14's own sentences, word for word: they name the sizes, not the settings.
  it.each([
    [
      'Attempted to send message with a size larger than 1024',
      /channelOptions 'grpc\.max_send_message_length'/,
    ],
    [
      'Received message larger than max (70000000 vs 67108864)',
      /--max-receive-message-bytes \(SIGHTLINE_MAX_RECEIVE_MESSAGE_BYTES\)/,
    ],
    [
      'Received message that decompresses to a size larger than 67108864',
      /'grpc\.max_receive_message_length'/,
    ],
    [
      'Sent message larger than max (70000005 vs. 67108864)',
      /--max-send-message-bytes \(SIGHTLINE_MAX_SEND_MESSAGE_BYTES\)/,
    ],
  ])('names the setting that raises the limit of "%s"', (details, setting) => {
    const error = toSightlineError(serviceError(status.RESOURCE_EXHAUSTED, details));
    expect(error).toBeInstanceOf(ResourceExhaustedError);
    expect(error.message.startsWith(details)).toBe(true);
    expect(error.message).toMatch(setting);
  });

  it('leaves other sentences as the server wrote them', () => {
    expect(messageLimitHint(status.RESOURCE_EXHAUSTED, 'data: 1001 reference rows; at most 1000')).toBe('');
    expect(messageLimitHint(status.INVALID_ARGUMENT, 'Received message larger than max (1 vs 0)')).toBe('');
    expect(toSightlineError(serviceError(status.NOT_FOUND, 'detector "x" not found')).message).toBe(
      'detector "x" not found',
    );
  });
});
