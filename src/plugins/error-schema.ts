import { Type } from 'typebox'

/** The body of every error answer. */
export const ErrorSchema = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String({ description: 'stable error code' }),
  error: Type.String(),
  message: Type.String({ description: 'names the field and the allowed range' })
}, { $id: 'Error' })
