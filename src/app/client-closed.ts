/** The request's client went away: nobody reads the answer (logged, answered 499, work dropped). */
export class ClientClosedRequest extends Error {
  override readonly name = 'ClientClosedRequest';
}
