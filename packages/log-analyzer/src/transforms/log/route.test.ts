import { describe, expect, it } from 'vitest';
import { compileTemplates, isId, routeOf } from './route.js';

describe('routeOf', () => {
  const templates = compileTemplates(['/users/{id}', '/users/{id}/orders/{order}', '/health']);
  it.each([
    { name: 'template', given: '/users/42', want: '/users/{id}' },
    { name: 'template, non-id segment', given: '/users/alice', want: '/users/{id}' },
    { name: 'two placeholders', given: '/users/7/orders/A-9', want: '/users/{id}/orders/{order}' },
    { name: 'query dropped', given: '/health?verbose=1', want: '/health' },
    { name: 'numbers', given: '/items/123/parts/9', want: '/items/{id}/parts/{id}' },
    { name: 'uuid', given: '/t/3F2A9C1E-0B4D-4C1A-9E7F-1234567890AB', want: '/t/{id}' },
    { name: 'hex', given: '/commits/9fceb02d0ae598e95dc970b74767f19372d61af8', want: '/commits/{id}' },
    { name: 'a word is kept', given: '/static/app.js', want: '/static/app.js' },
    { name: 'short hex kept', given: '/c/abc12', want: '/c/abc12' },
    { name: 'root', given: '/', want: '/' },
    { name: 'double slashes', given: '//users//5', want: '/users/{id}' },
  ])('$name', ({ given, want }) => {
    expect(routeOf(given, templates)).toBe(want);
  });

  it.each([
    ['12', true],
    ['deadbeef', false],
    ['deadbeef1', true],
    ['users', false],
  ])('isId(%s) = %s', (given, want) => {
    expect(isId(given)).toBe(want);
  });
});
