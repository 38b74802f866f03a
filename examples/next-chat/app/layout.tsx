import type { ReactNode } from 'react'

// No next/font/google: the build fetches nothing, so it works offline.
export const metadata = { title: 'next-chat · honeyhive-edge' }

/** The root layout. */
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 720, margin: '2rem auto', padding: '0 1rem' }}>
        {children}
      </body>
    </html>
  )
}
