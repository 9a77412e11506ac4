// useUploads: files uploading through the real client (over the SDK tests' fake XMLHttpRequest).
import { act } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeXhr } from '../../js/test/helpers.js';
import { useUploads } from '../src/index.js';
import { closeAll, makeClient, renderWith } from './helpers.js';

beforeEach(() => FakeXhr.reset());
afterEach(closeAll);

const ID = 'AbCdEfGhIjKlMnOpQrStUv';
const photo = () => new File([new Uint8Array(400)], 'photo.png', { type: 'image/png' });
const big = () => new File([new Uint8Array(900)], 'big.zip', { type: 'application/zip' });

/** Lets the client's promise callbacks run and React apply their state. */
const settle = () => act(async () => {});

describe('useUploads', () => {
  it('uploads each file at once with its progress; done ones are taken for sending, failed ones tell why', async () => {
    const client = makeClient({ XMLHttpRequest: FakeXhr });
    const { result } = renderWith(client, () => useUploads());
    act(() => result.current.add([photo(), big()]));
    expect(FakeXhr.all.map((x) => x.url)).toEqual(['http://chat.test/api/uploads?name=photo.png', 'http://chat.test/api/uploads?name=big.zip']);
    expect(result.current.items.map((i) => [i.name, i.size, i.type, i.state])).toEqual([
      ['photo.png', 400, 'image/png', 'uploading'],
      ['big.zip', 900, 'application/zip', 'uploading'],
    ]);
    expect(result.current).toMatchObject({ uploading: true, ready: false });

    act(() => FakeXhr.all[0]!.progress(100, 400));
    expect(result.current.items[0]!.loaded).toBe(100);
    const attachment = { id: ID, name: 'photo.png', type: 'image/png', size: 400, width: 20, height: 20, thumb: true };
    FakeXhr.all[0]!.answer(201, attachment);
    FakeXhr.all[1]!.answer(413, { error: 'files are at most 512 bytes', code: 'too_large' });
    await settle();
    expect(result.current.items[0]).toMatchObject({ state: 'done', loaded: 400, attachment });
    expect(result.current.items[1]).toMatchObject({ state: 'failed', error: { code: 'too_large', status: 413, message: 'files are at most 512 bytes' } });
    expect(result.current).toMatchObject({ uploading: false, ready: true });

    let taken: unknown;
    act(() => void (taken = result.current.take()));
    expect(taken).toEqual([attachment]);
    expect(result.current.items.map((i) => i.name)).toEqual(['big.zip']);
    act(() => result.current.remove(result.current.items[0]!.key));
    expect(result.current.items).toEqual([]);
  });

  it('taking one out while it uploads aborts the upload, and so does unmounting', async () => {
    const client = makeClient({ XMLHttpRequest: FakeXhr });
    const { result, unmount } = renderWith(client, () => useUploads());
    act(() => result.current.add([photo(), big()]));
    act(() => result.current.remove(result.current.items[0]!.key));
    await settle();
    expect(FakeXhr.all[0]!.aborted).toBe(true);
    expect(result.current.items.map((i) => i.name)).toEqual(['big.zip']);
    unmount();
    expect(FakeXhr.all[1]!.aborted).toBe(true);
  });
});
