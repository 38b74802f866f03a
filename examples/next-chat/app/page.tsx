import { Chat } from './chat'

/** The chat page. */
export default function Page() {
  return (
    <main>
      <h1>next-chat</h1>
      <p>
        Try <q>weather in Paris?</q> (the tool). Each turn shows up in <code>npx honeyhive-edge dev</code>.
      </p>
      <Chat />
    </main>
  )
}
