import assert from 'node:assert/strict'
import { test } from 'node:test'
import { liveWorkers } from '../src/threads/live-workers.js'
import { WorkerGroup } from '../src/threads/worker-group.js'
import type { Gone, WorkerHandle } from '../src/threads/worker-handle.js'

type Message = 'ready' | 'work'

/** A worker without a thread: the test says when it posts and when it goes. */
class FakeWorker implements WorkerHandle<Message> {
  readonly label: string
  reachable = true
  killed = false
  readonly sent: unknown[] = []
  #onMessage: (message: Message) => void = () => {}
  #onGone: (gone: Gone) => void = () => {}

  constructor (slot: number) {
    this.label = `fake ${slot}`
  }

  send (message: unknown): void { this.sent.push(message) }
  kill (): void {
    this.killed = true
    queueMicrotask(() => this.exit('killed'))
  }

  onMessage (listener: (message: Message) => void): void { this.#onMessage = listener }
  onGone (listener: (gone: Gone) => void): void { this.#onGone = listener }
  post (message: Message): void { this.#onMessage(message) }
  exit (how: string): void {
    this.reachable = false
    this.#onGone({ how })
  }
}

function groupOf (owner: string, log: string[]) {
  const workers: FakeWorker[] = []
  const group = new WorkerGroup<Message>(owner, {
    isReady: (message) => message === 'ready',
    onSpawned: (member) => member.handle.send('init'),
    onMessage: (member, message) => log.push(`message ${member.slot} ${message}`),
    onGone: (member, { how }) => log.push(`gone ${member.slot} ${how}`),
    onAllReady: (members) => log.push(`all ready ${members.map((member) => member.slot).join(',')}`),
    onAllGone: () => log.push('all gone')
  })
  return { group, workers, spawn: (slot: number) => { const worker = new FakeWorker(slot); workers.push(worker); return worker } }
}

test('the group starts together once every live member is ready, a member dead before it was ready does not hold the rest, and the end comes once', () => {
  const log: string[] = []
  const { group, workers, spawn } = groupOf('test-a', log)
  group.spawnAll(3, spawn)
  assert.equal(liveWorkers.count('test-a'), 3)
  assert.deepEqual(workers.map((worker) => worker.sent), [['init'], ['init'], ['init']])
  workers[0]!.post('ready')
  workers[1]!.exit('exited with code 1')
  assert.deepEqual(log, ['gone 1 exited with code 1'])
  workers[2]!.post('ready')
  workers[2]!.post('work')
  assert.deepEqual(log.slice(1), ['all ready 0,2', 'message 2 work'])
  workers[0]!.exit('exited with code 0')
  workers[2]!.exit('exited with code 0')
  workers[2]!.exit('exited with code 0') // a second 'exit' is ignored
  workers[2]!.post('work') // so is a message after it
  assert.deepEqual(log.slice(3), ['gone 0 exited with code 0', 'gone 2 exited with code 0', 'all gone'])
  assert.equal(liveWorkers.count('test-a'), 0)
})

test('a spawn that throws midway kills the members already started and keeps the error; killed groups never start', async () => {
  const log: string[] = []
  const { group, workers, spawn } = groupOf('test-b', log)
  const refused = new Error('spawn EAGAIN')
  group.spawnAll(4, (slot) => {
    if (slot === 2) throw refused
    return spawn(slot)
  })
  assert.equal(group.spawnFailure, refused)
  assert.equal(group.spawnError, 'spawn EAGAIN')
  assert.equal(workers.length, 2)
  assert.ok(workers.every((worker) => worker.killed))
  workers[0]!.post('ready') // before its kill lands: a killed group does not start
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(log, ['gone 0 killed', 'gone 1 killed', 'all gone'])
  assert.equal(liveWorkers.count('test-b'), 0)
})

test('a first message that cannot be sent fails the start like a refused spawn, and the member is not left behind', async () => {
  const log: string[] = []
  const workers: FakeWorker[] = []
  const group = new WorkerGroup<Message>('test-c', {
    isReady: (message) => message === 'ready',
    onSpawned: () => { throw new Error('could not be cloned') },
    onAllGone: () => log.push('all gone')
  })
  group.spawnAll(2, (slot) => { const worker = new FakeWorker(slot); workers.push(worker); return worker })
  assert.equal(group.spawnError, 'could not be cloned')
  assert.equal(workers.length, 1)
  assert.ok(workers[0]!.killed)
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(log, ['all gone'])
  assert.equal(liveWorkers.count('test-c'), 0)
})

test('a group that spawns nobody ends at once', () => {
  const log: string[] = []
  const { group, spawn } = groupOf('test-d', log)
  group.spawnAll(3, spawn, () => false)
  assert.deepEqual(log, ['all gone'])
})
