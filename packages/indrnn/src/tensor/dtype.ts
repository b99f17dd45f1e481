/**
 * Element types. float32 is the working type; int32 holds indices, labels and lengths;
 * float64 exists on the reference backend only, so gradient checks can use exact-ish arithmetic.
 */
export type DType = 'float32' | 'float64' | 'int32';
export type FloatDType = 'float32' | 'float64';
export type TypedArray = Float32Array | Float64Array | Int32Array;

export function arrayFor(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
  }
}

export function dtypeOf(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  return 'int32';
}

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype !== 'int32';
}
