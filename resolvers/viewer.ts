/** `viewer`: who the caller is and which role is in effect, so a client (the console) can show what it may do. */
import { builder } from '../schema/builder.js';
import { activeRole, type Actor } from '../src/auth/actor.js';
import { ROLES } from '../src/auth/roles.js';

const ViewerRef = builder.objectRef<Actor>('Viewer').implement({
  description: 'The caller of this operation',
  fields: (t) => ({
    subject: t.exposeString('subject', { description: '`anonymous` when authentication is off or no token was sent' }),
    role: t.string({
      nullable: true,
      description: 'The role in effect (viewer < analyst < engineer < admin, each including the ones below); null: no access',
      resolve: (a) => activeRole(a),
    }),
    allowedRoles: t.stringList({
      description: 'Every role the token allows (the active one is picked with the role header); the role in effect when there is no token',
      resolve: (a) => [...(a.allowedRoles ?? (activeRole(a) ? [activeRole(a)!] : []))],
    }),
    roleNames: t.stringList({ description: 'All role names, lowest first', resolve: () => [...ROLES] }),
  }),
});

builder.queryFields((t) => ({
  viewer: t.field({ type: ViewerRef, description: 'The caller: subject and role', resolve: (_r, _a, ctx) => ctx.actor }),
}));
