// The PB objects the unit and interop tests share (pb_peer.py defines the same):
// a Referenceable, a copy tagged "tests.Point" and a cache tagged "tests.Counter".
import * as pb from "../../src/spread/pb.ts";

export class Thing extends pb.Referenceable {
  calls = 0;
  remote_poke(): number {
    return ++this.calls;
  }
}

export class Point extends pb.Copyable {
  x: number;
  y: number;
  constructor(x = 0, y = 0) {
    super();
    this.x = x;
    this.y = y;
  }
  override getTypeToCopy(): string {
    return "tests.Point";
  }
}
export class PointCopy extends pb.RemoteCopy<{ x: number; y: number }> {
  x = 0;
  y = 0;
  get sum(): number {
    return this.x + this.y;
  }
}
pb.setUnjellyableForClass("tests.Point", PointCopy);
export class Counter extends pb.Cacheable {
  value = 0;
  observers = new Set<pb.RemoteCacheObserver>();
  stopped = 0;
  override getTypeToCopy(): string {
    return "tests.Counter";
  }
  override getStateToCacheAndObserveFor(_p: unknown, observer: pb.RemoteCacheObserver): unknown {
    this.observers.add(observer);
    return { value: this.value };
  }
  override stoppedObserving(_p: unknown, observer: pb.RemoteCacheObserver): void {
    this.stopped++;
    this.observers.delete(observer);
  }
  bump(): number {
    this.value++;
    for (const o of this.observers) o.callRemote("setValue", this.value);
    return this.value;
  }
}
export class CounterCache extends pb.RemoteCache<{ value: number }> {
  value = 0;
  observe_setValue(value: number): void {
    this.value = value;
  }
}
pb.setUnjellyableForClass("tests.Counter", CounterCache);
