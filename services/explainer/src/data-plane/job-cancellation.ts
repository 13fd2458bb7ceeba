/** The Cancellation of a job: CancelExplanation (or shutdown) cancels it, the work hears it as a caller's cancel. */
import type { Cancellation } from '@sightline/errors';

export class JobCancellation implements Cancellation {
  private reason: Error | undefined;
  private listeners: ((reason: Error) => void)[] = [];

  get cancelReason(): Error | undefined {
    return this.reason;
  }

  onCancel(listener: (reason: Error) => void): () => void {
    if (this.reason) {
      listener(this.reason);
      return () => {};
    }
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  cancel(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener(reason);
  }
}
