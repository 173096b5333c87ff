import { HostScheduler, hostKey, limitsFor, type SchedulerLimits } from './host-scheduler';

/** A task whose POST finishes when the test says so. */
class FakeTask {
  deferredFor: number | null = null;
  started = false;
  private finishPost: () => void = () => undefined;

  run = () => {
    this.started = true;
    return new Promise<void>((resolve) => (this.finishPost = resolve));
  };

  defer = (delayMs: number) => {
    this.deferredFor = delayMs;
  };

  async finish(): Promise<void> {
    await flush();
    this.finishPost();
    await flush();
  }
}

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const limits: SchedulerLimits = {
  slots: 8,
  hostSlots: 2,
  slowSlots: 4,
  slowAfterMs: 1000,
  maxQueueWaitMs: 1000,
  minDeferMs: 100,
  maxDeferMs: 60_000,
};

function setUp(overrides: Partial<SchedulerLimits> = {}) {
  const clock = { now: 0 };
  const scheduler = new HostScheduler(
    { ...limits, ...overrides },
    () => clock.now,
    () => 0.5,
  );
  const submit = (host: string) => {
    const task = new FakeTask();
    return { task, admission: scheduler.submit(host, task) };
  };
  return { clock, scheduler, submit };
}

describe('HostScheduler', () => {
  it('lets one receiver hold only its share of slots while others still start', async () => {
    const { scheduler, submit } = setUp();

    const first = [submit('a'), submit('a')];
    const third = submit('a');
    const other = submit('b');
    await flush();

    expect(first.map((x) => x.admission)).toEqual(['started', 'started']);
    expect(third.admission).toBe('queued');
    expect(other.admission).toBe('started');
    expect(scheduler.inFlight).toBe(3);
    expect(scheduler.queued).toBe(1);
  });

  it('starts a queued delivery as soon as its receiver frees a slot', async () => {
    const { scheduler, submit } = setUp();
    const [one] = [submit('a'), submit('a')];
    const waiting = submit('a');

    await one?.task.finish();

    expect(waiting.task.started).toBe(true);
    expect(scheduler.queued).toBe(0);
  });

  it('never exceeds the total number of slots', async () => {
    const { scheduler, submit } = setUp({ slots: 3, hostSlots: 3 });

    const admissions = ['a', 'b', 'c', 'd'].map((host) => submit(host).admission);

    expect(admissions).toEqual(['started', 'started', 'started', 'queued']);
    expect(scheduler.inFlight).toBe(3);
  });

  it('hands deliveries to a hanging receiver back to JetStream, spaced out, instead of queueing them', async () => {
    const { clock, submit } = setUp();
    submit('dead');
    submit('dead');
    clock.now = 5000;

    const later = [submit('dead'), submit('dead'), submit('dead')];

    expect(later.map((x) => x.admission)).toEqual(['deferred', 'deferred', 'deferred']);
    const delays = later.map((x) => x.task.deferredFor as number);
    expect(delays[0]).toBeGreaterThanOrEqual(5000);
    expect(delays[1]).toBeGreaterThan(delays[0] as number);
    expect(delays[2]).toBeGreaterThan(delays[1] as number);
  });

  it('does not make a receiver that hung once wait for ever: later deferrals follow its present pace', async () => {
    const { clock, submit } = setUp();
    const hung = [submit('r'), submit('r')];
    clock.now = 5000;
    // While it hangs, a backlog is handed back, spaced out up to the longest delay.
    const handedBack = Array.from({ length: 100 }, () => submit('r'));
    expect(handedBack.every((x) => x.admission === 'deferred')).toBe(true);
    // It answers again, quickly, and every delivery handed back has come due.
    for (const { task } of hung) await task.finish();
    for (let i = 0; i < 12; i += 1) await submit('r').task.finish();
    clock.now = 70_000;

    // A short stall: both slots busy for 1.5 s, so the next delivery is handed back.
    submit('r');
    submit('r');
    clock.now = 71_500;
    const next = submit('r');

    expect(next.admission).toBe('deferred');
    expect(next.task.deferredFor).toBe(1500);
  });

  it('spaces a backlog handed back during a stall at the pace the receiver answered at', async () => {
    const { clock, submit } = setUp();
    for (let i = 0; i < 3; i += 1) {
      const { task } = submit('r');
      clock.now += 100;
      await task.finish();
    }
    submit('r');
    submit('r');
    clock.now += 5000;

    const handedBack = Array.from({ length: 100 }, () => submit('r'));

    expect(handedBack.every((x) => x.admission === 'deferred')).toBe(true);
    const delays = handedBack.map((x) => x.task.deferredFor as number);
    expect(delays[0]).toBe(5000);
    expect(delays[1]).toBeGreaterThan(delays[0] as number);
    // 99 places in line at 100 ms per POST over 2 slots, after the 5 s stall.
    expect(delays[99]).toBe(5000 + 99 * 50);
  });

  it("keeps the quick receivers' share of slots however many receivers hang", async () => {
    const { clock, scheduler, submit } = setUp({ slots: 8, hostSlots: 2, slowSlots: 4 });
    await Promise.all(['q1', 'q2'].map((host) => submit(host).task.finish()));
    const hanging = ['d1', 'd2', 'd3', 'd4', 'd5'].flatMap((host) => [submit(host), submit(host)]);
    clock.now = 5000;

    const quick = ['q1', 'q2', 'q1', 'q2'].map((host) => submit(host).admission);
    const moreHanging = ['d1', 'd5'].map((host) => submit(host).admission);

    expect(hanging.filter((x) => x.admission === 'started')).toHaveLength(4);
    expect(quick).toEqual(['started', 'started', 'started', 'started']);
    expect(moreHanging).toEqual(['deferred', 'deferred']);
    expect(scheduler.inFlight).toBe(8);
  });

  it('holds a receiver not heard back from yet to the slow share, even with slots free', async () => {
    const { scheduler, submit } = setUp({ slots: 8, hostSlots: 2, slowSlots: 2 });
    await submit('quick').task.finish();
    submit('new1');
    submit('new1');

    const another = submit('new2');
    const known = submit('quick');

    expect(another.admission).toBe('queued');
    expect(known.admission).toBe('started');
    expect(scheduler.inFlight).toBe(3);
  });

  it('gives freed slots to waiting receivers in turn', async () => {
    const { scheduler, submit } = setUp({ slots: 1, hostSlots: 1, maxQueueWaitMs: 60_000 });
    const running = submit('a');
    const queued = [submit('a'), submit('a'), submit('b')];

    await running.task.finish();
    const afterOne = queued.map((x) => x.task.started);
    await queued[0]?.task.finish();
    const afterTwo = queued.map((x) => x.task.started);

    expect(afterOne).toEqual([true, false, false]);
    expect(afterTwo).toEqual([true, false, true]);
    expect(scheduler.inFlight).toBe(1);
  });

  it('gives back every queued task on shutdown and leaves running ones alone', () => {
    const { scheduler, submit } = setUp({ slots: 1 });
    submit('a');
    const queued = [submit('b'), submit('c')];

    const taken = scheduler.takeQueued();

    expect(taken).toEqual(queued.map((x) => x.task));
    expect(scheduler.queued).toBe(0);
    expect(scheduler.inFlight).toBe(1);
  });

  it('frees the slot when the task releases it, before the task ends, and only once', async () => {
    const { scheduler, submit } = setUp({ slots: 1 });
    let release: () => void = () => undefined;
    let endRecording: () => void = () => undefined;
    scheduler.submit('a', {
      run: (free) => {
        release = free;
        return new Promise<void>((resolve) => (endRecording = resolve));
      },
      defer: () => undefined,
    });
    const next = submit('a');
    const third = submit('a');
    await flush();
    expect(next.task.started).toBe(false);

    // The receiver answered: the next task starts while the first is still recording.
    release();
    await flush();
    expect(next.task.started).toBe(true);
    expect(scheduler.inFlight).toBe(1);

    // The first task ending does not free a second slot on its behalf.
    endRecording();
    await flush();
    expect(third.task.started).toBe(false);
    expect(scheduler.inFlight).toBe(1);
  });

  it('keeps running when a task fails', async () => {
    const { scheduler } = setUp({ slots: 1 });
    scheduler.submit('a', { run: () => Promise.reject(new Error('boom')), defer: () => undefined });
    const next = new FakeTask();
    scheduler.submit('a', next);

    await flush();

    expect(next.started).toBe(true);
  });
});

describe('limitsFor', () => {
  it('starts a task at once only when its receiver has room and nobody waits before it', async () => {
    const { scheduler, submit } = setUp();
    const [one] = [submit('a'), submit('a')];
    const queued = submit('a');
    const direct = new FakeTask();

    expect(scheduler.tryStart('a', direct)).toBe(false);
    expect(scheduler.tryStart('b', direct)).toBe(true);
    await flush();
    expect(direct.started).toBe(true);
    expect(direct.deferredFor).toBeNull();

    // A freed slot goes to the task that waited, not to one trying to start.
    await one?.task.finish();
    expect(queued.task.started).toBe(true);
    const late = new FakeTask();
    expect(scheduler.tryStart('a', late)).toBe(false);
    expect(late.started).toBe(false);
    expect(scheduler.inFlight).toBe(3);
  });

  it('gives a receiver a quarter and slow receivers half of the slots', () => {
    expect(limitsFor(64)).toMatchObject({ slots: 64, hostSlots: 16, slowSlots: 32 });
    expect(limitsFor(1)).toMatchObject({ slots: 1, hostSlots: 1, slowSlots: 1 });
  });
});

describe('hostKey', () => {
  it('names a receiver by scheme, host and port', () => {
    expect(hostKey('https://Hooks.Example.com/a?b=1')).toBe('https://hooks.example.com');
    expect(hostKey('http://10.0.0.1:8080/x')).toBe('http://10.0.0.1:8080');
    expect(hostKey('not a url')).toBe('invalid-url');
  });
});
