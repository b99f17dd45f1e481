/**
 * Padding changes no valid output (issue 13), on the reference backend: every case of
 * indrnn/testing's PADDING_CHECK_CASES in training mode (the same valid steps zero-padded to T and
 * noise-padded to T + 5: outputs, input and parameter gradients, running statistics) and in eval
 * mode (each sequence alone vs. among other sequences in a padded batch). The reference sums valid
 * rows in the same order whatever the padding, so the tolerance is 0: the results are identical.
 */
import { describe, it } from 'node:test';
import { PADDING_CHECK_CASES, assertPaddingInvariant } from '../src/testing/index.js';

describe('padding invariance on the reference backend (atol 0)', () => {
  for (const c of PADDING_CHECK_CASES) it(c.name, () => assertPaddingInvariant('reference', c, 0));
});
