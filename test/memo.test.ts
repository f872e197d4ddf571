import test from 'ava'
import { Memo } from '../src/memo.js'

test('a memo computes each key once, and starts over past its limit', (t) => {
  const memo = new Memo<number>(2)
  let computed = 0
  const square = (n: number) =>
    memo.get(String(n), () => {
      computed++
      return n * n
    })
  t.deepEqual([square(3), square(3), square(4), square(4)], [9, 9, 16, 16])
  t.is(computed, 2)
  t.is(square(5), 25, 'a third key clears the two before it')
  t.is(computed, 3)
  t.is(square(3), 9)
  t.is(computed, 4, 'so the first is computed again')
})

test('a computation that throws is not remembered', (t) => {
  const memo = new Memo<string>()
  t.throws(
    () =>
      memo.get('k', () => {
        throw new Error('no')
      }),
    { message: 'no' },
  )
  t.is(
    memo.get('k', () => 'yes'),
    'yes',
  )
})
