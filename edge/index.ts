import { createApp } from "./app";

export { UserFeed } from "../durable-objects/user-feed/user-feed.do";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
